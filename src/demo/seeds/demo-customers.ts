import { createHash } from 'node:crypto';
import type { CustomerEntity } from '../customers/customer.entity';

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Edsger',
  'Hedy',
  'Tim',
  'Radia',
  'Donald',
  'Katherine',
  'John',
  'Sophie',
  'Niklaus',
  'Anita',
  'Guido',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Dijkstra',
  'Lamarr',
  'Berners-Lee',
  'Perlman',
  'Knuth',
  'Johnson',
  'McCarthy',
  'Wilson',
  'Wirth',
  'Borg',
  'van Rossum',
];
const CITIES: [string, string, string][] = [
  ['Berlin', '10115', 'DE'],
  ['Hamburg', '20095', 'DE'],
  ['Paris', '75001', 'FR'],
  ['Lyon', '69001', 'FR'],
  ['Amsterdam', '1012', 'NL'],
  ['Madrid', '28001', 'ES'],
  ['Lisbon', '1100-148', 'PT'],
  ['Vienna', '1010', 'AT'],
  ['Zurich', '8001', 'CH'],
  ['Dublin', 'D02 X285', 'IE'],
];
const STREETS = [
  'Main Street',
  'Station Road',
  'Church Lane',
  'Park Avenue',
  'Mill Road',
  'High Street',
  'Linden Way',
  'Harbour Road',
];

/** A deterministic 32-bit PRNG (mulberry32): the same catalog on every machine. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable UUID (version 4 layout) for demo customer `i`. */
export function demoCustomerId(i: number): string {
  const h = createHash('sha256').update(`scopegate-demo-customer-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Fake but well-formed IBAN (check digits computed per ISO 13616). */
function iban(country: string, bban: string): string {
  const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const d of numeric) rem = (rem * 10 + Number(d)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

export function demoCustomers(count = 1000): Partial<CustomerEntity>[] {
  const rand = rng(20261123);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const base = Date.UTC(2024, 0, 1);
  return Array.from({ length: count }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const [city, postal, country] = pick(CITIES);
    const bban =
      String(Math.floor(rand() * 1e9)).padStart(9, '0') + String(Math.floor(rand() * 1e9)).padStart(9, '0');
    return {
      id: demoCustomerId(i),
      name: `${first} ${last}`,
      email: `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
      age: 18 + Math.floor(rand() * 70),
      street: `${pick(STREETS)} ${1 + Math.floor(rand() * 200)}`,
      city,
      postalCode: postal,
      country,
      iban: iban(country, bban),
      balance: Math.round(rand() * 5_000_000) / 100,
      creditLimit: Math.round(rand() * 20) * 500,
      createdAt: new Date(base + i * 3_600_000),
      updatedAt: new Date(base + i * 3_600_000),
    };
  });
}
