import { Injectable } from '@nestjs/common';

/** The time source of token issuance; tests replace `now` to freeze or move the clock. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}
