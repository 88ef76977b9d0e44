// The ACLs, kept in `<data-dir>/__outpost_acls.json`, written whole and atomically (temporary file,
// fsync, rename) on every change, so that a crash leaves the old set or the new one:
//
//   { "version": 1, "acls": [ { "resourceType": 2, "resourceName": "orders", "patternType": 3,
//                               "principal": "User:alice", "host": "*", "operation": 3, "permissionType": 3 } ] }
import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfPresent, writeFileDurably } from '../log/durable-file.js';
import { sameBinding, type AclBinding } from '../common/acls.js';

export const ACL_FILE = '__outpost_acls.json';

const int = z.number().int();
const fileSchema = z
  .object({
    version: z.literal(1),
    acls: z.array(z.object({ resourceType: int, resourceName: z.string(), patternType: int, principal: z.string(), host: z.string(), operation: int, permissionType: int }).strict()),
  })
  .strict();

export class AclStore {
  private constructor(private readonly path: string, private acls: readonly AclBinding[]) {}

  static async open(dataDir: string): Promise<AclStore> {
    const path = join(dataDir, ACL_FILE);
    const text = await readFileIfPresent(path);
    if (text === null) return new AclStore(path, []);
    try {
      return new AclStore(path, fileSchema.parse(JSON.parse(text)).acls);
    } catch (e) {
      throw new Error(`${path} cannot be read: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  list(): readonly AclBinding[] {
    return this.acls;
  }

  /** Adds the ones not there yet and removes `remove`, in one write. */
  async change(add: AclBinding[], remove: AclBinding[] = []): Promise<void> {
    let next = this.acls.filter((a) => !remove.some((r) => sameBinding(a, r)));
    for (const a of add) if (!next.some((n) => sameBinding(n, a))) next = [...next, a];
    if (next.length === this.acls.length && next.every((a, i) => a === this.acls[i])) return;
    await writeFileDurably(this.path, JSON.stringify({ version: 1, acls: next }, null, 1) + '\n', 0o600);
    this.acls = next;
  }
}
