/** The results store: file naming, line shapes, the writer (a sink) and the one reader. */
export { dayOf, listResultsFiles, resultsFileFor, type ResultsFile } from './files.ts';
export { toLines, timeOf, type CallLine, type JourneyLine, type StoreLine } from './lines.ts';
export { readCalls, readJourneys, readLines, type ReadOptions } from './reader.ts';
export { ResultsStore } from './writer.ts';
