import type { Role } from '../logic/types';
import type { ConsoleArea } from './area';
import { enterpriseArea } from './enterprise';
import { operatorArea } from './operator';
import { partnerArea } from './partner';

/** Every role's area; the shell mounts their routes and shows the signed-in role's menu. */
export const AREAS: Record<Role, ConsoleArea> = {
  operator: operatorArea,
  enterprise: enterpriseArea,
  partner: partnerArea,
};
