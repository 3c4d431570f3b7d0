import { describe, expect, it } from 'vitest';
import { declareClaimCategory } from './claim-fields';
import { filterClaims, ungrantedFields } from './claims-filter';

const ClaimCategory =
  (category: string): PropertyDecorator =>
  (target, key) =>
    declareClaimCategory(target.constructor, key, category);

class Address {
  @ClaimCategory('address') street = 'Main St 1';
  @ClaimCategory('address') city = 'Springfield';
}

class Person {
  id = 'p1';
  @ClaimCategory('profile') name = 'Ada';
  @ClaimCategory('banking') iban = 'DE00';
  home = new Address();
  tags = ['x'];
  created_at = new Date(0);
}

class Employee extends Person {
  @ClaimCategory('hr') salary = 100;
}

const none = new Set<string>();

describe('filterClaims', () => {
  it.each([
    ['no category granted', none, { id: 'p1', home: {}, tags: ['x'], created_at: new Date(0) }],
    [
      'profile',
      new Set(['profile']),
      { id: 'p1', name: 'Ada', home: {}, tags: ['x'], created_at: new Date(0) },
    ],
    [
      'address reaches the nested object',
      new Set(['address']),
      { id: 'p1', home: { street: 'Main St 1', city: 'Springfield' }, tags: ['x'], created_at: new Date(0) },
    ],
    [
      'all',
      new Set(['profile', 'banking', 'address']),
      {
        id: 'p1',
        name: 'Ada',
        iban: 'DE00',
        home: { street: 'Main St 1', city: 'Springfield' },
        tags: ['x'],
        created_at: new Date(0),
      },
    ],
  ])('%s', (_n, granted, expected) => {
    expect(filterClaims(new Person(), granted)).toEqual(expected);
  });

  it('filters arrays and plain wrappers around DTOs', () => {
    const page = { data: [new Person(), new Person()], next_cursor: 'abc' };
    const out = filterClaims(page, new Set(['profile']));
    expect(out.next_cursor).toBe('abc');
    expect(out.data).toHaveLength(2);
    for (const p of out.data) {
      expect(p).toHaveProperty('name', 'Ada');
      expect(p).not.toHaveProperty('iban');
    }
  });

  it('applies inherited categories and the subclass own ones', () => {
    const out = filterClaims(new Employee(), new Set(['profile']));
    expect(out).toHaveProperty('name');
    expect(out).not.toHaveProperty('iban');
    expect(out).not.toHaveProperty('salary');
    expect(filterClaims(new Employee(), new Set(['hr']))).toHaveProperty('salary', 100);
  });

  it('filters what toJSON returns, as JSON.stringify would send it, with the categories of its class', () => {
    class Account {
      id = 'a1';
      @ClaimCategory('banking') iban = 'DE00';
      passwordHash = 'hash';
      toJSON() {
        const { passwordHash: _, ...shown } = this;
        return shown;
      }
    }
    const sent = (value: unknown, granted: ReadonlySet<string>) =>
      JSON.parse(JSON.stringify(filterClaims(value, granted))) as unknown;
    expect(sent({ account: new Account() }, none)).toEqual({ account: { id: 'a1' } });
    expect(sent([new Account()], new Set(['banking']))).toEqual([{ id: 'a1', iban: 'DE00' }]);
    class Wrapper {
      toJSON() {
        return Object.assign(new Account(), { id: 'w1' });
      }
    }
    // JSON.stringify calls toJSON once per value, not again on what it returned.
    expect(sent(new Wrapper(), new Set(['banking']))).toEqual(JSON.parse(JSON.stringify(new Wrapper())));
    const url = new URL('https://example.com/a');
    expect(sent({ url }, none)).toEqual({ url: 'https://example.com/a' });
  });

  it('does not mutate its input', () => {
    const p = new Person();
    filterClaims(p, none);
    expect(p.iban).toBe('DE00');
  });

  it('passes primitives and null through', () => {
    expect(filterClaims(null, none)).toBeNull();
    expect(filterClaims(5, none)).toBe(5);
    expect(filterClaims('s', none)).toBe('s');
  });
});

describe('ungrantedFields', () => {
  it('lists present fields whose category is not granted', () => {
    const p = Object.assign(new Person(), { name: 'B', iban: 'X', home: undefined });
    expect(ungrantedFields(p, new Set(['profile']))).toEqual([{ field: 'iban', category: 'banking' }]);
    expect(ungrantedFields(p, new Set(['profile', 'banking']))).toEqual([]);
  });

  it('looks into nested DTOs and arrays of them, as the response filter does', () => {
    class Line {
      sku = 'A';
      @ClaimCategory('pricing') unit_price?: string;
    }
    class Order {
      lines: Line[] = [];
      home?: Address;
    }
    const order = Object.assign(new Order(), {
      lines: [new Line(), Object.assign(new Line(), { unit_price: '0.01' })],
      home: Object.assign(new Address(), { city: 'X' }),
    });
    expect(ungrantedFields(order, new Set(['address']))).toEqual([
      { field: 'lines[1].unit_price', category: 'pricing' },
    ]);
    expect(ungrantedFields(order, new Set(['pricing']))).toEqual([
      { field: 'home.street', category: 'address' },
      { field: 'home.city', category: 'address' },
    ]);
  });
});
