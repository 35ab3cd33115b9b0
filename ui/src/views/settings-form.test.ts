import { describe, expect, it } from "vitest";

import type { TargetSettings } from "../bindings/TargetSettings";
import { formFromTarget, targetFromForm } from "./settings-form";

const target: TargetSettings = {
  kind: "custom",
  endpoint: "https://s3.example.com",
  region: "eu-west-1",
  bucket: "photos",
  prefix: "2024/",
  path_style: true,
  checksum: "content_md5",
  aws_profile: "work",
};

describe("settings form mapping", () => {
  it("round-trips a target", () => {
    expect(targetFromForm(formFromTarget(target))).toEqual(target);
  });

  it("maps path style auto/on/off to null/true/false", () => {
    expect(formFromTarget({ ...target, path_style: null }).pathStyle).toBe("auto");
    expect(formFromTarget({ ...target, path_style: false }).pathStyle).toBe("off");
    expect(targetFromForm({ ...formFromTarget(target), pathStyle: "auto" }).path_style).toBeNull();
    expect(targetFromForm({ ...formFromTarget(target), pathStyle: "off" }).path_style).toBe(false);
  });

  it("turns blank optional fields into null and trims", () => {
    const t = targetFromForm({
      ...formFromTarget(target),
      endpoint: "  ",
      region: "",
      awsProfile: " ",
      bucket: " photos ",
    });
    expect(t.endpoint).toBeNull();
    expect(t.region).toBeNull();
    expect(t.aws_profile).toBeNull();
    expect(t.bucket).toBe("photos");
  });
});
