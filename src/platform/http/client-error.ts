import type { Duplex } from 'node:stream';

const REFUSALS: Record<string, [status: number, reason: string, description: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'The request line and header fields exceed the size limit',
  ],
};
const MALFORMED: [number, string, string] = [400, 'Bad Request', 'Malformed HTTP request'];

/**
 * Fastify `clientErrorHandler`: what Node's HTTP parser refuses before any route sees it (an oversized
 * request line or header section, a malformed request, a timeout) is answered in the same RFC 6749 §5.2
 * `invalid_request` shape the error filter gives Fastify's other 4xx errors, then the connection is closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, description] = REFUSALS[err.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}
