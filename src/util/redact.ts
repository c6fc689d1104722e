// Secrets a tool was given (an IPsec key), cut out of what nethost records or prints about it.

/** Text from a tool that was given the keys (ovs-vsctl's errors echo arguments), with every key cut out. */
export function redactKeys(text: string, keys: Iterable<string>): string {
  let out = text;
  for (const k of [...keys].sort((a, b) => b.length - a.length)) if (k) out = out.split(k).join('<IPsec key>');
  return out;
}
