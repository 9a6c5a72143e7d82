/**
 * A fixed number of slots shared by several owners (the runner's browser contexts, shared by its
 * targets), handed out fairly: no owner holds more than its share (the slots over the owners,
 * at least one) while others are registered, and a freed slot goes to the waiting owner that holds
 * the fewest, the earliest of them on a tie. First come, first served would let the target listed
 * first take every slot of every cycle, and the canary behind it would never be watched by a browser.
 */
export class FairSlots {
  private readonly owners = new Set<string>();
  private readonly held = new Map<string, number>();
  private readonly waiting: Array<{ owner: string; start: () => void }> = [];
  private busy = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots: a whole number ≥ 1, not ${size}`);
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.busy;
  }

  /** An owner that will ask for slots: its share counts from now on. */
  join(owner: string): void {
    this.owners.add(owner);
  }

  /** Runs `work` in a slot of `owner`'s, once one is free; the slot is given back however it ends. */
  async run<T>(owner: string, work: () => Promise<T> | T): Promise<T> {
    this.owners.add(owner);
    // Whoever waits cannot take now (every give and join hands out what it can): no queue to jump.
    if (this.mayTake(owner)) this.take(owner);
    else await new Promise<void>((start) => this.waiting.push({ owner, start }));
    try {
      return await work();
    } finally {
      this.give(owner);
    }
  }

  private heldBy(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  private mayTake(owner: string): boolean {
    return this.busy < this.size && this.heldBy(owner) < Math.max(1, Math.floor(this.size / this.owners.size));
  }

  private take(owner: string): void {
    this.busy += 1;
    this.held.set(owner, this.heldBy(owner) + 1);
  }

  private give(owner: string): void {
    this.busy -= 1;
    this.held.set(owner, this.heldBy(owner) - 1);
    this.handOut();
  }

  /** Starts waiting work while a slot is free for it: the owner holding the fewest first, the earliest on a tie. */
  private handOut(): void {
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.waiting.length; i++) {
        const { owner: o } = this.waiting[i]!;
        if (this.mayTake(o) && (next < 0 || this.heldBy(o) < this.heldBy(this.waiting[next]!.owner))) next = i;
      }
      if (next < 0) return;
      const [chosen] = this.waiting.splice(next, 1);
      this.take(chosen!.owner);
      chosen!.start();
    }
  }
}
