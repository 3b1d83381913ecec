/** The demo module's door: `enquete demo` loads the BFI survey and its 2,800 real respondents. */
export { bfiDir, type DemoDeps, type DemoOptions, type DemoResult, demoClient, runDemo } from './demo.ts';
