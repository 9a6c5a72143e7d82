/** The results store: file naming, line shapes, the writer (a sink), retention and the one reader. */
export { compressedPathOf, dayOf, listResultsFiles, resultsFileFor, type ResultsFile } from './files.ts';
export { toLines, timeOf, type CallLine, type JourneyLine, type StoreLine } from './lines.ts';
export { readCalls, readJourneys, readLines, type ReadOptions } from './reader.ts';
export { DEFAULT_RETENTION_DAYS, housekeep, type HousekeepOptions, type HousekeepReport } from './retention.ts';
export { ResultsStore, type ResultsStoreOptions } from './writer.ts';
