// Upstream of the gateway line: a plain Node http server answering every GET with one fixed order
// (nested items, shipping, payment; ~1.5 KB of compact JSON) with Content-Length and no compression,
// so that the gateway and the bare proxy in front of it pay for the same upstream work.
import { createServer } from 'node:http';

const item = (n, sku, name, quantity, unitPrice) => ({
  line: n,
  sku,
  name,
  quantity,
  unit_price: unitPrice,
  line_total: (quantity * Number(unitPrice)).toFixed(2),
  tax_rate: '0.19',
  warehouse: 'FRA-2',
  attributes: { colour: 'black', size: 'standard', gift_wrap: false },
});
const items = [
  item(1, 'PEN-42', 'Fountain pen, medium nib', 3, '2.50'),
  item(2, 'INK-7', 'Ink cartridges, blue-black, pack of 12', 1, '11.90'),
  item(3, 'NB-A5', 'Notebook A5, dotted, 120 pages', 4, '4.20'),
  item(4, 'CLIP-3', 'Binder clips, assorted, box of 24', 2, '3.10'),
];
const subtotal = items.reduce((sum, i) => sum + Number(i.line_total), 0);
const ORDER = {
  id: 'ord-1001',
  status: 'shipped',
  created_at: '2026-11-02T09:15:00Z',
  updated_at: '2026-11-04T17:02:11Z',
  customer: { id: 'cus-5501', name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
  items,
  shipping: {
    method: 'standard',
    cost: '4.90',
    carrier: 'DHL',
    tracking: 'JJD000390007812345',
    address: { street: '12 St James Square', city: 'London', postal_code: 'SW1Y 4JH', country: 'GB' },
  },
  payment: { method: 'card', brand: 'visa', status: 'captured' },
  subtotal: subtotal.toFixed(2),
  tax: (subtotal * 0.19).toFixed(2),
  total: (subtotal * 1.19 + 4.9).toFixed(2),
  currency: 'EUR',
  notes: 'Leave the parcel with the concierge if nobody answers the door.',
};
const body = Buffer.from(JSON.stringify(ORDER));

const server = createServer((req, res) => {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
