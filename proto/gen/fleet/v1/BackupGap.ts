// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupGap {
  'stream'?: (string);
  'afterSeq'?: (number | string | Long);
  'beforeSeq'?: (number | string | Long);
  'fromMs'?: (number | string | Long);
  'toMs'?: (number | string | Long);
}

export interface BackupGap__Output {
  'stream': (string);
  'afterSeq': (number);
  'beforeSeq': (number);
  'fromMs': (number);
  'toMs': (number);
}
