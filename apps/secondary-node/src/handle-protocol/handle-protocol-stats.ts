import { Injectable } from '@nestjs/common';

/**
 * Counters of the Handle protocol listeners, read by /metrics at scrape time. Plain fields
 * incremented on the packet path: no labels, no allocation.
 */
@Injectable()
export class HandleProtocolStats {
  udpPackets = 0;
  tcpRequests = 0;
  /** Answered from a prepared reply (no decoding, no lookup beyond L1). */
  preparedReplies = 0;
  /** UDP packets over a source's budget: dropped unanswered. */
  budgetDrops = 0;
  /** UDP replies cut to one piece with the truncation flag (amplification guard). */
  truncatedReplies = 0;
  /** Replies sent in several UDP packets (verified sources). */
  fragmentedReplies = 0;
  /** Packets refused as malformed (answered RC_PROTOCOL_ERROR when they carried a request id). */
  malformed = 0;
  /** Multi-packet requests whose pieces did not all arrive in time. */
  incompleteMessages = 0;
  /** Requests refused with RC_SERVER_TOO_BUSY (too many cache misses in flight). */
  busyRefusals = 0;
  connectionsRefused = 0;
  tcpIdleTimeouts = 0;
  tcpReadTimeouts = 0;
  tcpOversizeRefusals = 0;
  openConnections = 0;
}
