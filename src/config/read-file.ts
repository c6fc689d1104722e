// Reads a nethost file, refusing one too large to be one before reading it all (a wrong path, a
// log, /dev/zero): parsing and checking cost time and memory in proportion to the text.
import { type FileHandle, open } from 'node:fs/promises';
import { NethostError } from '../model.js';
import { printable } from '../util/text.js';
import { MAX_FILE_BYTES, tooLarge } from './load.js';

export async function readConfigFile(file: string): Promise<string> {
  const cannot = (e: any) =>
    new NethostError(
      `cannot read ${printable(file)}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'a directory, not a file' : e.message}`,
    );
  const refuse = (size: string) =>
    new NethostError(
      `${printable(file)} ${tooLarge(size)}; a host's network file is far smaller: is this the right file?`,
    );
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw cannot(e);
  }
  try {
    const st = await fh.stat();
    if (st.isFile() && st.size > MAX_FILE_BYTES) throw refuse(`${st.size} bytes`);
    // Not a regular file (a pipe, /dev/stdin) or one still growing: read no more than the limit and a byte.
    const chunk = st.isFile() ? st.size + 1 : 1 << 16;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(chunk, MAX_FILE_BYTES + 1 - total);
      const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(want), 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_FILE_BYTES) throw refuse(`more than ${MAX_FILE_BYTES} bytes`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (e) {
    throw e instanceof NethostError ? e : cannot(e);
  } finally {
    await fh.close();
  }
}
