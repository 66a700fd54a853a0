// Original file: proto/fleet/v1/fleet.proto


export interface GetClusterStatusRequest {
}

export interface GetClusterStatusRequest__Output {
}
