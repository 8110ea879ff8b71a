export * from './generated/idis/toplevel/v1/common';
export * from './generated/idis/toplevel/v1/enrolment';
export * from './generated/idis/toplevel/v1/filing';
export * from './generated/idis/toplevel/v1/resolution';
export * from './generated/idis/toplevel/v1/reporting';
export * from './signing';
export * from './proto-path';
export * from './grpc-options';
