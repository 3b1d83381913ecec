/**
 * The e-mail port of the distribution hub: message templates (LiquidJS) and the SMTP mailer
 * (nodemailer's pool). The rest of `distribution/` imports from here only.
 */
export { classifySendError } from './classify-error.ts';
export { createMailer } from './create-mailer.ts';
export { defaultTemplate, defaultTemplates } from './default-templates.ts';
export { emailErrors, type TemplatePlace } from './errors.ts';
export { htmlToText, textToHtml } from './html-text.ts';
export { RateLimiter, type RateLimiterProps } from './rate-limiter.ts';
export { type CheckTemplateOptions, checkTemplate, renderMessage } from './render-message.ts';
export { maskSmtpUrl, parseSmtpUrl } from './smtp-url.ts';
export { templateLimits } from './template-engine.ts';
export type * from './types.ts';
export { unsubscribeHeaders } from './unsubscribe-headers.ts';
