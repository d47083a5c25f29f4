import { mosquittoPasswordEntry } from "../../../charts/dlstreamer/mosquitto-password";

describe("mosquittoPasswordEntry", () => {
  test("matches a line mosquitto_passwd 2.0.11 wrote for the same user, password and salt", () => {
    const salt = Buffer.from("4Arn6ilmZ9A8vihf", "base64");
    expect(mosquittoPasswordEntry("alice", "s3cret", { salt })).toBe(
      "alice:$7$101$4Arn6ilmZ9A8vihf$Fjmzim2jZ9RPsJE0HCcaqPEy4VboBRV5yYB2KZkNPL/nysdKCIQhGq+AFp1VAVDi6YpeNGsk2+vT9g2kUMAxpw==",
    );
  });

  test("salts every entry differently and never contains the password", () => {
    const a = mosquittoPasswordEntry("reader", "hunter2hunter2");
    const b = mosquittoPasswordEntry("reader", "hunter2hunter2");
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
    expect(a).toMatch(/^reader:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  });

  test("rejects what would corrupt the file", () => {
    expect(() => mosquittoPasswordEntry("a:b", "x")).toThrow(/user: got "a:b"/);
    expect(() => mosquittoPasswordEntry("reader", "two\nlines")).toThrow(/password: got an empty or multi-line value/);
    expect(() => mosquittoPasswordEntry("reader", "x", { iterations: 0 })).toThrow(/iterations: got 0/);
  });
});
