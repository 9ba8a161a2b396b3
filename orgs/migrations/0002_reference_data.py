from django.db import migrations


def load(apps, schema_editor):
    from orgs.reference import load_reference_data

    load_reference_data(apps.get_model("orgs", "Sector"), apps.get_model("orgs", "Division"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
