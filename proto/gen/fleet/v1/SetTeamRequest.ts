// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface SetTeamRequest {
  'name'?: (string);
  'maxRunning'?: (number);
  'dailyTokens'?: (number | string | Long);
  'dailyCostUsd'?: (number | string);
  'weight'?: (number | string);
  '_maxRunning'?: "maxRunning";
  '_dailyTokens'?: "dailyTokens";
  '_dailyCostUsd'?: "dailyCostUsd";
  '_weight'?: "weight";
}

export interface SetTeamRequest__Output {
  'name': (string);
  'maxRunning'?: (number);
  'dailyTokens'?: (number);
  'dailyCostUsd'?: (number);
  'weight'?: (number);
  '_maxRunning'?: "maxRunning";
  '_dailyTokens'?: "dailyTokens";
  '_dailyCostUsd'?: "dailyCostUsd";
  '_weight'?: "weight";
}
