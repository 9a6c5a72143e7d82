const NETWORK_CODES = [
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE',
  'ERR_CONNECTION_REFUSED', 'ERR_NAME_NOT_RESOLVED', 'ERR_CONNECTION_RESET', 'ERR_ADDRESS_UNREACHABLE',
  'ERR_CONNECTION_CLOSED', 'ERR_EMPTY_RESPONSE', 'ERR_INTERNET_DISCONNECTED',
];

/** The network code in an error message from Node or Chromium, when the target could not be reached. */
export function unreachableCode(message: string): string | undefined {
  return NETWORK_CODES.find((code) => message.includes(code));
}
