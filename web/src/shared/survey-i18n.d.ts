// survey-core ships its translations without type declarations; importing one registers it.
declare module 'survey-core/i18n/*';
