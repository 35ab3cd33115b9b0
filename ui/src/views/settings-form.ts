// Mapping between TargetSettings and the settings form's string fields. Pure.

import type { ChecksumMode } from "../bindings/ChecksumMode";
import type { TargetKind } from "../bindings/TargetKind";
import type { TargetSettings } from "../bindings/TargetSettings";

export type PathStyleChoice = "auto" | "on" | "off";

export interface TargetForm {
  kind: TargetKind;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: PathStyleChoice;
  checksum: ChecksumMode;
  awsProfile: string;
}

export function formFromTarget(t: TargetSettings): TargetForm {
  return {
    kind: t.kind,
    endpoint: t.endpoint ?? "",
    region: t.region ?? "",
    bucket: t.bucket,
    prefix: t.prefix,
    pathStyle: t.path_style === null ? "auto" : t.path_style ? "on" : "off",
    checksum: t.checksum,
    awsProfile: t.aws_profile ?? "",
  };
}

const orNull = (s: string): string | null => {
  const v = s.trim();
  return v === "" ? null : v;
};

/** Blank optional fields become null ("use the default"). Validation is the Rust side's job. */
export function targetFromForm(f: TargetForm): TargetSettings {
  return {
    kind: f.kind,
    endpoint: orNull(f.endpoint),
    region: orNull(f.region),
    bucket: f.bucket.trim(),
    prefix: f.prefix.trim(),
    path_style: f.pathStyle === "auto" ? null : f.pathStyle === "on",
    checksum: f.checksum,
    aws_profile: orNull(f.awsProfile),
  };
}
