-- An advisory exception may say why the advisory does not apply in OpenVEX's words
-- (component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path,
-- vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist):
-- the VEX document Plinth exports carries it.
ALTER TABLE advisory_exceptions ADD COLUMN justification TEXT;
