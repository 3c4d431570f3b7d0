/**
 * A package-lock.json for an app outside the repository (a scratch app in a temp directory) whose
 * dependencies are all in the repository's own lock file: the same versions in the same tree layout,
 * each entry with its registry tarball URL and integrity, plus local tarballs (`npm pack` output).
 *
 * With it `npm install --prefer-offline` takes every tarball from the npm cache that `npm ci` filled
 * (looked up by integrity) and asks the registry nothing. Without it npm cannot work from that cache:
 * without a lock file it resolves the tree from every package's full registry metadata (optional
 * peers' dependencies included), and a lock entry without `resolved` (the repository's lock omits
 * them, `omit-lockfile-registry-resolved`) sends npm to the package's metadata for the tarball URL —
 * metadata `npm ci` never fetches.
 */

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface RootLock {
  packages: Record<string, LockEntry>;
}

export interface ScratchManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** A dependency installed from a tarball of one of the repository's workspaces. */
export interface LocalTarball {
  /** The workspace's location in the root lock (`packages/nest`). */
  workspace: string;
  /** As written in the scratch app's package.json (`file:…`). */
  resolved: string;
  integrity: string;
}

/** npm replaces this default registry with the configured one when it reads a lock file. */
const REGISTRY = 'https://registry.npmjs.org/';

const parentOf = (location: string): string => {
  const i = location.lastIndexOf('/node_modules/');
  return i < 0 ? '' : location.slice(0, i);
};

/** Where Node (and npm) finds `name` from `location`: the nearest node_modules up the tree. */
function resolveIn(lock: RootLock, location: string, name: string): string | undefined {
  for (let at = location; ; at = parentOf(at)) {
    const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (at === '') return undefined;
  }
}

/** The names an entry needs installed: dependencies, optional ones it has, peers that are not optional. */
function needs(entry: LockEntry): { name: string; optional: boolean }[] {
  const meta = entry.peerDependenciesMeta ?? {};
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ...Object.keys(entry.peerDependencies ?? {})
      .filter((name) => !meta[name]?.optional)
      .map((name) => ({ name, optional: false })),
  ];
}

export function scratchLockfile(
  root: RootLock,
  app: ScratchManifest,
  local: Record<string, LocalTarball>,
): object {
  const packages: Record<string, LockEntry> = {};
  const pending: { from: string; to: string; entry: LockEntry }[] = [];
  const nameAt = (location: string) => location.slice(location.lastIndexOf('node_modules/') + 13);

  const place = (from: string, to: string) => {
    if (packages[to]) return;
    const source = root.packages[from];
    if (source.link) throw new Error(`${from} is a link in the root lock; pack it and pass it as local`);
    // The scratch app's own dependency flags are not the repository's (npm recomputes them).
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = source;
    if (!entry.resolved && !entry.version) throw new Error(`${from} has no version in the root lock`);
    entry.resolved ??= `${REGISTRY}${nameAt(to)}/-/${nameAt(to).split('/').pop()}-${entry.version}.tgz`;
    packages[to] = entry;
    pending.push({ from, to, entry });
  };

  const wanted = { ...app.dependencies, ...app.devDependencies };
  const workspaceOf: Record<string, string> = {};
  for (const [name, spec] of Object.entries(wanted)) {
    const tarball = local[name];
    const to = `node_modules/${name}`;
    if (tarball) {
      const ws = root.packages[tarball.workspace];
      const { name: _name, ...fields } = ws;
      packages[to] = { ...fields, resolved: tarball.resolved, integrity: tarball.integrity };
      workspaceOf[tarball.workspace] = to;
      pending.push({ from: tarball.workspace, to, entry: ws });
      continue;
    }
    const entry = root.packages[to];
    if (entry?.version !== spec)
      throw new Error(`${name}@${spec} is not at the top of the root lock (found ${entry?.version})`);
    place(to, to);
  }

  // The root lock's layout, restricted to what the scratch app reaches, is a valid layout for it:
  // every package finds its dependencies where it found them in the repository.
  while (pending.length) {
    const { from, entry } = pending.shift()!;
    for (const { name, optional } of needs(entry)) {
      const found = resolveIn(root, from, name);
      if (!found) {
        if (optional) continue;
        throw new Error(`${from} needs ${name}, which the root lock does not have`);
      }
      const ws = Object.keys(workspaceOf).find((w) => found.startsWith(`${w}/`));
      place(found, ws ? `${workspaceOf[ws]}${found.slice(ws.length)}` : found);
    }
  }

  return {
    name: app.name,
    version: app.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': {
        name: app.name,
        version: app.version,
        dependencies: app.dependencies,
        ...(app.devDependencies ? { devDependencies: app.devDependencies } : {}),
      },
      ...packages,
    },
  };
}
