import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'care:isPublic';

/** Marks a route that needs no token (health checks). Everything else is authenticated by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
