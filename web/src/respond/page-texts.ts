/** The page's own words (outside the survey), in Japanese or English. */
export interface PageTexts {
  loading: string;
  alreadyAnswered: string;
  /** The end page of a completion that found its quota full (status `quota_full`). */
  quotaFull: string;
  unknownLink: string;
  closed: string;
  failed: string;
  saveFailed: string;
  rejected: string;
}

const english: PageTexts = {
  loading: 'Loading the survey…',
  alreadyAnswered: 'You have already answered this survey. Thank you!',
  quotaFull:
    'Thank you for your time. We already have all the answers we need from people like you, so the survey ends here.',
  unknownLink: 'This survey link is not valid. Please check that you opened the whole link.',
  closed: 'This survey is closed.',
  failed: 'The survey could not be loaded.',
  saveFailed: 'Your latest answers could not be saved yet; they will be saved again when you go on.',
  rejected: 'Please check your answers:',
};

const japanese: PageTexts = {
  loading: 'アンケートを読み込んでいます…',
  alreadyAnswered: 'このアンケートには既に回答いただいています。ありがとうございました。',
  quotaFull:
    'ご協力ありがとうございました。あなたと同じ条件の方からの回答が予定数に達したため、アンケートはここで終了となります。',
  unknownLink: 'このアンケートのリンクは無効です。リンクを最後までお開きになったかご確認ください。',
  closed: 'このアンケートは終了しました。',
  failed: 'アンケートを読み込めませんでした。',
  saveFailed: '最新の回答をまだ保存できていません。次へ進むと再度保存します。',
  rejected: '回答をご確認ください:',
};

/** Texts for a SurveyJS locale or, before the survey is known, the browser's language. */
export function pageTexts(locale: unknown): PageTexts {
  return typeof locale === 'string' && locale.toLowerCase().startsWith('ja') ? japanese : english;
}
