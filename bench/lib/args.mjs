// Command-line flags of the bench scripts: `--name VALUE`, and `--quick` (one small repetition).
export const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
export const QUICK = process.argv.includes('--quick');
