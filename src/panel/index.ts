/** The panel module's door: members, attributes, the CSV/TSV import and segments. */
export type { SegmentCondition } from './compile-segment.ts';
export { panelErrors } from './errors.ts';
export { lineKey } from './header.ts';
export { createPanelService, type PanelDeps, type PanelService } from './panel-service.ts';
export type * from './types.ts';
