/**
 * The bare Express route as a process of its own (`node --import tsx`), for the outside
 * check, where the API under test is a process of its own too: reads the body as JSON from
 * argv[2], tells the parent its port over IPC, serves until killed.
 */
import { startBareExpress } from './bare-express';

void startBareExpress(JSON.parse(process.argv[2] ?? 'null')).then(({ port }) => process.send?.({ port }));
