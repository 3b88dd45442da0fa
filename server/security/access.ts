/**
 * Which cubes a principal may read: the cube's level (the access matrix) and
 * its declared readers, each through its link (territory dimensions for the
 * territorial profiles, `ente: provider | seat` for the Ente erogatore).
 */
import { AppError } from '../errors.ts';
import type { Cube, Model } from '../model/types.ts';
import type { Principal } from './principal.ts';
import { mayOpenLevel } from './profiles.ts';

export function mayReadCube(cube: Cube, principal: Principal): boolean {
  return mayOpenLevel(principal.profile, cube.access.level) && cube.access.profiles.includes(principal.profile);
}

export function checkCubeAccess(cube: Cube, principal: Principal): void {
  if (!mayOpenLevel(principal.profile, cube.access.level))
    throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" è di livello ${cube.access.level}: il profilo ${principal.profile} apre solo cubi e report del proprio livello e di quelli inferiori.`);
  if (!cube.access.profiles.includes(principal.profile))
    throw new AppError(
      'FORBIDDEN_CUBE',
      principal.profile === 'ente'
        ? `Il cubo "${cube.name}" non contiene prestazioni erogate da un ente (i suoi record riguardano i residenti di un territorio): il profilo ente consulta solo i cubi dei record che ha erogato.`
        : `Il cubo "${cube.name}" è consultabile solo dai profili ${cube.access.profiles.join(', ')}.`,
    );
}

/** The cubes listed to a principal (GET /v1/cubes): visible ones it may read. */
export function readableCubes(model: Model, principal: Principal): Cube[] {
  return [...model.cubes.values()].filter((c) => !c.hidden && mayReadCube(c, principal));
}
