// Lab tests need the kernel lab guest (test/lab/run.sh sets NETHOST_LAB=1 there). Outside it
// they must fail loudly, never skip silently.
export function requireLab(): void {
  if (process.env.NETHOST_LAB !== '1') {
    throw new Error('lab tests must run inside the kernel lab guest: bash test/lab/run.sh FILE');
  }
}
