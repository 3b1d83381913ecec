import type { ITheme } from 'survey-core';

/**
 * SurveyJS's default theme asks for the "Open Sans" web font, which we do not fetch from Google
 * (the fontless stylesheet is used): the system's own fonts, with good Japanese faces, instead.
 */
const systemFonts =
  "system-ui, -apple-system, 'Segoe UI', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Noto Sans JP', 'Noto Sans CJK JP', 'Yu Gothic', Meiryo, sans-serif";

/** The theme applied to every survey the platform renders (respondent page and console preview). */
export const surveyTheme: ITheme = {
  cssVariables: {
    '--sjs2-typography-font-family-text': systemFonts,
  },
};
