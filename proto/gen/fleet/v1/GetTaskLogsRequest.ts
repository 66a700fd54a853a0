// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface GetTaskLogsRequest {
  'taskId'?: (string);
  'follow'?: (boolean);
  'afterSeq'?: (number | string | Long);
}

export interface GetTaskLogsRequest__Output {
  'taskId': (string);
  'follow': (boolean);
  'afterSeq': (number);
}
