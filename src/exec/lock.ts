// One apply per namespace at a time: an exclusive lock file holding the owner's PID. A lock whose
// owner is gone is stale and taken over.
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync, existsSync } from 'node:fs';
import { NethostError } from '../model.js';

const LOCK_DIR = process.env.NETHOST_LOCK_DIR ?? '/run/nethost';

export function acquireLock(netns: string | undefined): () => void {
  mkdirSync(LOCK_DIR, { recursive: true });
  const path = `${LOCK_DIR}/${netns ? `netns-${netns}` : 'current'}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pid && pid !== process.pid && existsSync(`/proc/${pid}`))
        throw new NethostError(`another nethost apply (pid ${pid}) is running on ${netns ? `namespace ${netns}` : 'this namespace'}; wait for it (lock: ${path})`);
      unlinkSync(path); // stale
    }
  }
  throw new NethostError(`cannot take the lock ${path}`);
}
