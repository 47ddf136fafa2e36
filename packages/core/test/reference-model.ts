// A deliberately naive token bucket, the reference the GCRA implementation is checked against.
// It stores a token level and the last refill time, in exact integer "token-microseconds"
// (1 token = emissionIntervalUs credits), so it needs no floating point to be exact.

export class NaiveTokenBucket {
  private credits: number
  private lastUs: number | undefined

  constructor(
    private readonly capacity: number,
    private readonly intervalUs: number,
  ) {
    this.credits = capacity * intervalUs
  }

  /** Whole tokens available at `nowUs`. */
  tokensAt(nowUs: number): number {
    return Math.floor(this.creditsAt(nowUs) / this.intervalUs)
  }

  tryTake(nowUs: number, cost: number): boolean {
    this.credits = this.creditsAt(nowUs)
    this.lastUs = nowUs
    if (this.credits < cost * this.intervalUs) return false
    this.credits -= cost * this.intervalUs
    return true
  }

  private creditsAt(nowUs: number): number {
    const elapsed = this.lastUs === undefined ? 0 : Math.max(0, nowUs - this.lastUs)
    return Math.min(this.capacity * this.intervalUs, this.credits + elapsed)
  }
}
