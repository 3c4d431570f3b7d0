import { Injectable } from '@nestjs/common';
import { AuditService, type AuditEventInput } from './audit.service';

/** The batch row the audit writer inserts in the statement that appends the batch's events. */
function insertBatch(rowsParam: string): string {
  return `INSERT INTO usage_batches (client_id, batch_id, events)
          SELECT client_id, batch_id, events FROM json_populate_recordset(NULL::usage_batches, ${rowsParam})`;
}

/**
 * Usage reported by resource servers: each batch's events are appended to the audit chain in the same
 * statement that records the batch id, so a retried batch (same client, same id) fails as a whole on
 * the primary key and is recorded once.
 */
@Injectable()
export class UsageReportsService {
  constructor(private readonly audit: AuditService) {}

  async record(
    clientId: string,
    batchId: string,
    events: AuditEventInput[],
  ): Promise<'recorded' | 'duplicate'> {
    try {
      await this.audit.commit(events, [
        { sql: insertBatch, rows: [{ client_id: clientId, batch_id: batchId, events: events.length }] },
      ]);
      return 'recorded';
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'usage_batches_pkey') return 'duplicate';
      throw err;
    }
  }
}
