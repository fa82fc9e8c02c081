/**
 * zod's settings for the agent process, imported first by agent/main.ts: a schema reads them when
 * it is made, so they must be set before any module defines one.
 *
 * `jitless`: zod compiles each object schema into a function (`new Function`) on its first parse.
 * That pays for a process that parses one shape hundreds of thousands of times; an agent parses
 * each shape a few hundred times (config, state, peer adverts and answers), and the compiling was
 * the larger cost, most of it at start and while a mesh forms (issue 17): measured on an advert,
 * CPU for the first parse 10–12 → 4–7 ms, for 20 parses 11–14 → 7–8 ms, equal at 100.
 */
import { config } from 'zod';

config({ jitless: true });
