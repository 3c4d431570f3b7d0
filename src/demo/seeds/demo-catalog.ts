/** The demo catalog of scopes, claim categories and roles. */
export const DEMO_CATEGORIES = [
  { name: 'profile', description: 'Customer profile: name, email, age' },
  { name: 'address', description: 'Customer address: street, city, postal code, country' },
  { name: 'banking', description: 'Customer banking: IBAN, balance, credit limit' },
];

export const DEMO_SCOPES = [
  { name: 'customers:read', description: 'Call GET /customers*; see id and created_at', claimCategory: null },
  { name: 'customers:profile', description: "See customers' name, email and age", claimCategory: 'profile' },
  {
    name: 'customers:address',
    description: "See customers' street, city, postal code and country",
    claimCategory: 'address',
  },
  {
    name: 'customers:banking',
    description: "See customers' IBAN, balance and credit limit",
    claimCategory: 'banking',
  },
  { name: 'customers:write', description: 'Update customers (PATCH /customers/:id)', claimCategory: null },
  { name: 'openid', description: 'Sign in with OpenID Connect (id_token)', claimCategory: null },
  { name: 'profile', description: 'Your name (OpenID Connect userinfo)', claimCategory: null },
  { name: 'email', description: 'Your email address (OpenID Connect userinfo)', claimCategory: null },
];

const viewer = ['customers:read'];
const salesperson = [...viewer, 'customers:profile'];
const manager = [...salesperson, 'customers:address'];
const editor = [...manager, 'customers:write'];
const admin = [...editor, 'customers:banking', 'admin'];
const oidc = ['openid', 'profile', 'email'];

export const DEMO_ROLES = [
  { name: 'viewer', description: 'Sees that customers exist', scopes: [...viewer, ...oidc] },
  { name: 'salesperson', description: 'Sees customer profiles', scopes: [...salesperson, ...oidc] },
  { name: 'manager', description: 'Sees profiles and addresses', scopes: [...manager, ...oidc] },
  { name: 'editor', description: 'Manager, and may update customers', scopes: [...editor, ...oidc] },
  {
    name: 'admin',
    description: 'Everything, including banking data and administration',
    scopes: [...admin, ...oidc],
  },
];
