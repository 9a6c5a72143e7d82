/**
 * Named errors. A user's mistake (config, schema file, missing browser) is one of these and is
 * printed as one line by the CLI; anything else is a bug and keeps its stack.
 */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}

/** Every config problem at once, each naming the key and the fix. */
export class ConfigError extends UserFacingError {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export class SchemaLoadError extends UserFacingError {
  override name = 'SchemaLoadError';
  constructor(readonly file: string, reason: string) {
    super(`schema ${file}: ${reason}`);
  }
}

export class BrowserNotFoundError extends UserFacingError {
  override name = 'BrowserNotFoundError';
  constructor(searched: string[]) {
    super(
      `no Chromium found (looked at ${searched.join(', ')}): install it with ` +
        `"apt-get install -y chromium" or set CHROMIUM_PATH to a Chromium/Chrome binary`,
    );
  }
}

/**
 * A check the journey made did not hold. `reason` is the one line shown in tables, results and
 * metrics; it never carries bodies or secrets.
 */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The target refused the connection, its name did not resolve, or the network dropped. */
export class TargetUnreachableError extends CheckFailure {
  override name = 'TargetUnreachableError';
}

/**
 * A call that got no answer in time for another reason (a timeout, an aborted request). Unlike a
 * wrong answer, this can be the runner's doing (a blocked event loop, a frozen browser).
 */
export class NoAnswerError extends CheckFailure {
  override name = 'NoAnswerError';
}
