/**
 * When a served model may be closed: a reload swaps it out (nobody new gets it), and the requests
 * that retained it before then finish on it. Both kinds of model (feature, sequence) keep one.
 */
export class ModelLifetime {
  private users = 0;
  private retired: (() => void) | null = null;

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

  /** Resolves once nobody uses the model any more, then runs `close`. */
  retire(close: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.retired = resolve;
      if (this.users === 0) resolve();
    }).then(close);
  }

  /** Requests currently using the model (retain() without release). */
  get inUse(): number {
    return this.users;
  }
}
