/**
 * What every served model (feature or sequence) has beside its own prediction code: the version
 * that answers, and when it may be closed — a reload swaps it out (nobody new gets it), and the
 * requests that retained it before then finish on it.
 */
export abstract class ServedModelLifetime {
  /** Content hash of the bundle (bundleHash); '' when loaded without one (tests). */
  version = '';
  /** The version folder's name or the card's version string. */
  versionLabel: string | undefined;
  private users = 0;
  private retired: (() => void) | null = null;

  abstract close(): Promise<void>;

  /** Counts one user until the returned function is called (a second call does nothing). */
  retain(): () => void {
    this.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users--;
      if (this.users === 0 && this.retired !== null) this.retired();
    };
  }

  /** Closes the model once every request that retained it has finished. */
  retire(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.retired = resolve;
      if (this.users === 0) resolve();
    }).then(() => this.close());
  }

  /** Requests currently using the model (retain() without release). */
  get inUse(): number {
    return this.users;
  }
}
