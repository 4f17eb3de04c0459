import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ROUTE_PERMISSIONS, routeKey } from './permissions';

const join = (...parts: string[]): string => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/** Every route the application's controllers declare, as `METHOD /path` (the permission table's keys). */
export const listRoutes = (app: INestApplication): string[] => {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const routes: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base = [Reflect.getMetadata(PATH_METADATA, metatype) ?? ''].flat() as string[];
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name] as object;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const b of base) for (const p of [paths].flat()) routes.push(routeKey(method, join(b, p)));
    }
  }
  return routes;
};

/** Routes with no entry in the permission table (the guard would refuse them all). */
export const undeclaredRoutes = (app: INestApplication): string[] => listRoutes(app).filter((r) => !(r in ROUTE_PERMISSIONS));
