import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0001_initial"),
        ("territories", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="holder",
            name="address_check",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="holders",
                to="territories.addresscheck",
            ),
        ),
    ]
