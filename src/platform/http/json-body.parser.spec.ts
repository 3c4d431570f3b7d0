import { describe, expect, it } from 'vitest';
import { jsonStructureProblem } from './json-body.parser';

describe('jsonStructureProblem', () => {
  it.each([
    '{}',
    '[]',
    '"a"',
    '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
    '{"a":"{\\"a\\":1,\\"a\\":2}","b":"[[[["}',
    '{"a":"x\\\\","b":"y"}',
    '{"a":{"b":1},"b":2}',
    '[{"a":1},{"a":1}]',
    '{"a":[1,2,"a"],"b":"a"}',
  ])('accepts %s', (text) => {
    expect(jsonStructureProblem(text)).toBeUndefined();
  });

  it.each([
    ['{"a":1,"a":2}', 'Duplicate member "a"'],
    ['{"scope":"x","sc\\u006fpe":"y"}', 'Duplicate member "scope"'],
    ['{"o":{"k":1,"x":[1,{"z":0}],"k":2}}', 'Duplicate member "k"'],
    [' { "a" : 1 , "b" : 2 , "a" : 3 } ', 'Duplicate member "a"'],
    ['{"a\\"b":1,"a\\"b":2}', 'Duplicate member "a\\"b"'],
  ])('refuses the duplicate in %s', (text, problem) => {
    expect(jsonStructureProblem(text)).toBe(problem);
  });

  it('bounds nesting depth, objects and arrays alike', () => {
    expect(jsonStructureProblem('['.repeat(4) + ']'.repeat(4), 4)).toBeUndefined();
    expect(jsonStructureProblem('['.repeat(5) + ']'.repeat(5), 4)).toBe('JSON nested deeper than 4 levels');
    expect(jsonStructureProblem('{"a":'.repeat(5) + '1' + '}'.repeat(5), 4)).toBe(
      'JSON nested deeper than 4 levels',
    );
    expect(jsonStructureProblem('[{"a":[{}]}]', 4)).toBeUndefined();
    expect(jsonStructureProblem('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).toMatch(/nested deeper/);
  });

  it('leaves syntax errors to the parser', () => {
    for (const text of ['{"a', '{"a":"\\', '{"\\x":1}', '}}]]', '']) {
      expect(jsonStructureProblem(text)).toBeUndefined();
    }
  });
});
