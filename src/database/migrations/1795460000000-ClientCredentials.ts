import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Clients, scopes, roles, claim categories, signing keys, token records, audit chain, customers. */
export class ClientCredentials1795460000000 implements MigrationInterface {
  name = 'ClientCredentials1795460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE claim_categories (
        name varchar(64) PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE scopes (
        name varchar(64) PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        claim_category varchar(64) REFERENCES claim_categories(name) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE roles (
        name varchar(64) PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE clients (
        client_id varchar(128) PRIMARY KEY,
        client_name varchar(200) NOT NULL,
        grant_types text[] NOT NULL,
        redirect_uris text[] NOT NULL DEFAULT '{}',
        scopes text[] NOT NULL DEFAULT '{}',
        token_endpoint_auth_method varchar(32) NOT NULL
          CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
        role varchar(64) REFERENCES roles(name) ON DELETE RESTRICT,
        require_api_key boolean NOT NULL DEFAULT false,
        access_token_ttl integer CHECK (access_token_ttl BETWEEN 60 AND 3600),
        status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        secret_hash bytea,
        previous_secret_hash bytea,
        previous_secret_expires_at timestamptz,
        api_key_hash bytea,
        client_id_issued_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE signing_keys (
        kid varchar(64) PRIMARY KEY,
        alg varchar(16) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        public_jwk jsonb NOT NULL,
        private_key_enc bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at timestamptz,
        publish_until timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX signing_keys_one_active_per_alg ON signing_keys (alg) WHERE status = 'active'`,
    );
    await q.query(`
      CREATE TABLE tokens (
        jti uuid PRIMARY KEY,
        client_id varchar(128) NOT NULL,
        subject varchar(256) NOT NULL,
        scopes text[] NOT NULL,
        audience text[] NOT NULL,
        grant_type varchar(64) NOT NULL,
        kid varchar(64) NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(200),
        request_id varchar(128) NOT NULL
      )`);
    await q.query(`CREATE INDEX tokens_client_id ON tokens (client_id, issued_at)`);
    await q.query(`CREATE INDEX tokens_expires_at ON tokens (expires_at)`);
    await q.query(`CREATE INDEX tokens_revoked_live ON tokens (expires_at) WHERE revoked_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        type varchar(64) NOT NULL,
        outcome varchar(16) NOT NULL,
        actor varchar(256),
        subject varchar(256),
        client_id varchar(128),
        jti varchar(64),
        request_id varchar(128),
        ip varchar(64),
        user_agent varchar(512),
        details jsonb NOT NULL DEFAULT '{}',
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL
      )`);
    for (const col of ['type', 'client_id', 'subject', 'jti', 'request_id', 'occurred_at']) {
      await q.query(`CREATE INDEX audit_events_${col} ON audit_events (${col})`);
    }
    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        email varchar(320) NOT NULL,
        age integer NOT NULL,
        street varchar(200) NOT NULL,
        city varchar(100) NOT NULL,
        postal_code varchar(20) NOT NULL,
        country char(2) NOT NULL,
        iban varchar(34) NOT NULL,
        balance numeric(14,2) NOT NULL,
        credit_limit numeric(14,2) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The one scope the server itself needs: it guards /admin/*.
    await q.query(
      `INSERT INTO scopes (name, description) VALUES ('admin', 'Administer clients, users, scopes, roles, keys, tokens and the audit log')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'customers',
      'audit_events',
      'tokens',
      'signing_keys',
      'clients',
      'roles',
      'scopes',
      'claim_categories',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
