// How scripts/bundle.mjs bundles the agent (dist/agent/agent.cjs), apart from its entry and output
// file; a module of its own so test/unit/agent/bundle-options.test.ts builds with the same options.

/** `import.meta.url` in a CommonJS bundle (the agent's, and its CommonJS launcher's): the file's own URL. */
export const importMetaUrlInCjs = {
  define: { 'import.meta.url': '__imModuleUrl' },
  banner: { js: 'var __imModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
};

export const agentBundleOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // A vm.Script has no ES module loader for import() (Node 20 wants --experimental-vm-modules): the
  // few of built-in modules become require().
  supported: { 'dynamic-import': false },
  // ASCII only, with asciiComments() after it: see there.
  charset: 'ascii',
  // agent/si-node.ts and agent/kernel/version.ts resolve files relative to their module.
  ...importMetaUrlInCjs,
  logLevel: 'warning',
  plugins: [leaveOut()],
};

/**
 * Modules the agent never runs, left out of the bundle as empty modules (issue 17: every start reads,
 * decodes and initialises the whole bundle, and 20 agents after a power cut share 2 cores here):
 *  - zod's `z.locales` (and `z.core.locales`), its error messages in 40-odd languages: 400 KB, a
 *    fifth of the bundle. The agent speaks English, which zod's schemas import by themselves
 *    (`zod/v4/locales/en.js`), so only those namespaces are left empty;
 *  - `whatwg-fetch`, the browser `fetch` polyfill that the `ollama` package imports for browsers: it
 *    does nothing where `fetch` exists, as in every Node the agent runs on (>= 20), and the agent
 *    hands the Ollama client its own fetch anyway.
 */
export function leaveOut() {
  return {
    name: 'leave-out',
    setup(build) {
      const empty = (args) => ({ path: args.path, namespace: 'left-out' });
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]v4[\\/](?:classic|core)[\\/]/.test(args.importer) ? empty(args) : undefined));
      build.onResolve({ filter: /^whatwg-fetch$/ }, empty);
      build.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({ contents: 'export {};', loader: 'js' }));
    },
  };
}

/**
 * The bundle's text with no character outside ASCII. `charset: 'ascii'` escapes them in strings,
 * regular expressions and names, but not in the few comments esbuild keeps (inside expressions), so
 * what is left is comment text, written here as `\uXXXX`. Why: Node decodes an ASCII file on a fast
 * path; the 1.9 MB bundle with a few dashes and accents in comments took ~11 ms of every start to
 * read instead of 0.1 ms (issue 17), and V8 kept it as a two-byte string (3.8 MB, not 1.9).
 */
export function asciiComments(text) {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
