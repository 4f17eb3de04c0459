import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** `{payloads: [{metadata: {key: base64}, data: base64}]}`, as the Temporal UI sends it. */
export class CodecRequestDto extends createZodDto(
  z.object({
    payloads: z
      .array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }).loose(), { error: 'payloads must be a list of payloads' })
      .max(1000, { error: 'payloads must hold at most 1000 payloads' }),
  }),
) {}
