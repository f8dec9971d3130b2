/**
 * `$(VAR)` references, as the kubelet expands them (third_party/forked/golang/expansion,
 * kubecontainer.ExpandContainerCommandAndArgs): a defined variable is replaced, an
 * undefined one is left as written, and `$$` is a literal `$` (so `$$(VAR)` stays
 * `$(VAR)`).
 */
export function expand(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') out += '$';
    else if (rest[0] === '(') {
      const close = rest.indexOf(')');
      if (close > 0) {
        const name = rest.slice(1, close);
        out += vars.get(name) ?? `$(${name})`;
        advance = close + 1;
      } else out += '$(';
    } else out += `$${rest[0]}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A container's environment in order, each value expanded against the ones before it and `base`. */
export function containerEnv(
  env: readonly { name: string; value?: string }[],
  base: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const vars = new Map(base);
  for (const e of env) vars.set(e.name, expand(e.value ?? '', vars));
  return vars;
}
