// A V8 context with only what every Web runtime has (crypto.getRandomValues, TextEncoder/TextDecoder, Intl,
// URL): no process, require, Buffer or node:crypto. For running a bundled entry as an edge worker would.
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';

export function bareContext(
  options: { withUrl?: boolean; console?: Pick<Console, 'warn' | 'log' | 'error'> } = {},
): vm.Context {
  const { withUrl = true } = options;
  return vm.createContext({
    crypto: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) },
    TextEncoder,
    TextDecoder,
    Intl,
    console: options.console ?? console,
    ...(withUrl && { URL }),
  });
}
