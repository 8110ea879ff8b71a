import { Injectable } from '@nestjs/common';
import { TokenService } from '../auth/token.service';
import { DomainError } from '../errors/domain-errors';
import { HealthBoard } from '../health/health-board';

/**
 * Tells /health who may see its diagnostics (internal addresses, error texts): a caller with an
 * operator's bearer token. No token: the status only. A token that is present but not valid is
 * refused, as on every other route (a client never silently falls back to anonymous).
 */
@Injectable()
export class OperatorDiagnostics {
  constructor(board: HealthBoard, tokens: TokenService) {
    board.setDiagnosticsAccess((headers) => {
      const header = headers.authorization;
      if (header === undefined) return false;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw new DomainError('AUTHENTICATION_REQUIRED', 'Authorization header must be "Bearer <token>"');
      return tokens.verify(match[1]).principal.role === 'operator';
    });
  }
}
