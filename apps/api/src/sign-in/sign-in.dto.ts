import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { TOKEN_ROLES } from '@care/protocol';
import { textField } from '../validation/fields';

const SITE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** `POST /auth/local-sign-in`: who the person says they are, in the embedded default only. */
export const LocalSignInBody = z.strictObject({
  name: textField('name', 1, 120).meta({ description: 'Printed name, shown on every signature this person makes (21 CFR 11.50).', examples: ['Casey Coordinator'] }),
  role: z.enum(TOKEN_ROLES.filter((r) => r !== 'integration') as [string, ...string[]], { error: `role must be one of ${TOKEN_ROLES.filter((r) => r !== 'integration').join(', ')}` }),
  site: z
    .string({ error: 'site is required' })
    .min(1, { error: 'site must not be empty' })
    .max(400, { error: 'site must be at most 400 characters' })
    .refine((v) => v.split(',').every((s) => SITE.test(s.trim())), { error: 'site may contain only letters, digits, ".", "_", ":" or "-" (auditors: several, separated by commas)' })
    .meta({ description: 'The site the person acts for; auditors may name several, separated by commas.', examples: ['site-a'] }),
});

export class LocalSignInDto extends createZodDto(LocalSignInBody) {}
