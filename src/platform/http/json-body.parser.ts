import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';

/** No request body of this server nests deeper; a deeper one is refused before it is parsed. */
export const MAX_JSON_DEPTH = 32;

/**
 * What makes a JSON text unacceptable before it is even parsed: nesting deeper than `maxDepth`, or
 * a member name used twice in one object (RFC 8259 §4: names SHOULD be unique; `JSON.parse` silently
 * keeps the last, where RFC 6749 §3.1/§3.2 refuse a repeated parameter). Names are compared decoded,
 * so `"scope"` and `"sc\u006fpe"` are the same. Syntax errors are left to the parser.
 */
export function jsonStructureProblem(text: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: { names?: Set<string>; expectName: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? { names: new Set(), expectName: true } : { expectName: false });
      if (stack.length > maxDepth) return `JSON nested deeper than ${maxDepth} levels`;
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.names) top.expectName = true;
    } else if (c === '"') {
      const end = closingQuote(text, i);
      if (end < 0) return undefined;
      const top = stack.at(-1);
      if (top?.names && top.expectName) {
        const name = decodeString(text.slice(i, end + 1));
        if (name === undefined) return undefined;
        if (top.names.has(name)) return `Duplicate member ${JSON.stringify(name.slice(0, 64))}`;
        top.names.add(name);
        top.expectName = false;
      }
      i = end;
    }
  }
  return undefined;
}

function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return -1;
}

function decodeString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

/**
 * Registers the JSON body parser: it first refuses what `jsonStructureProblem` finds (a 400 the error
 * filter renders in the endpoint's shape), then parses with Fastify's own parser (prototype-poisoning
 * checks included).
 */
export function useStrictJsonBodies(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<Server>('application/json', { bodyLimit }, (req, body, done) => {
    const text = body.toString('utf8');
    const problem = jsonStructureProblem(text);
    if (problem) done(new BadRequestException(problem), undefined);
    else parse(req, text, done);
  });
}
